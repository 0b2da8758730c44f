TALK "No PARAM here: this is a dialog, not a tool."
