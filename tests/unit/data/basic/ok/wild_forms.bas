REM Forms that scripts in the wild use.
TALK “Pasted from a word processor”
TALK "Line one\nline two, with a \"quote\""
IF lead.phone IS NOT NULL AND lead.email IS NULL THEN TALK "call"
IF prefs CONTAINS "sales" XOR vip THEN TALK "route"
IF GET "session.tier" = "vip" THEN TALK LLM "Greet a VIP"
n = GET BOT MEMORY("visits") + 1
SET_BOT_MEMORY("visits", n)
USE_WEBSITE("https://docs.example.com", "30d")
SEND EMAIL TO "ops@example.com" SUBJECT "Report" BODY text
SEND MAIL recipient, subject, body USING "support@example.com"
CREATE SITE "promo" WITH TEMPLATE "landing" USING PROMPT "A spring sale"
TALK FORMAT total AS "0.00"
SET "session.step", 2
SET HEADER "Authorization" AS token
HEAR phone AS TEXT "Your phone number?"
TALK TO manager, "New lead"
ON ERROR RESUME NEXT
ON ERROR GOTO failed
ON "new_message" CALL handle
FOR EACH case IN cases DO
    IF case.priority = "high" THEN BREAK
END FOR
FOR ref IN refs
    TALK ref
NEXT
TABLE leads
    FIELD id AS STRING
    score NUMBER DEFAULT 0
END TABLE
BEGIN SYSTEM PROMPT
You answer in Portuguese.
End of the instructions; the line above is text.
END SYSTEM PROMPT
SUB handle(message)
    TALK message
END SUB
failed:
TALK "Something went wrong"
EXIT
ON EMAIL "sales@example.com" FROM "boss@example.com"
    TALK "mail from the boss"
END ON
