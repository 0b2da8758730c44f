TALK "before"
TALKK "hello"
SHOUT loudly
TALK "after"
