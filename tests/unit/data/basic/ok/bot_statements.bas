USE KB "policies"
USE TOOL "order-status"
USE WEBSITE "https://docs.example.com"
USE MODEL "fast"
CLEAR KB
CLEAR TOOLS
CLEAR SUGGESTIONS
CLEAR WEBSITES
ADD TOOL "reserve-book"
ADD SUGGESTION "order" AS "Where is my order?"
ADD SWITCHER "lang" AS "Language"
SET CONTEXT "persona" AS "a friendly librarian"
SET SCHEDULE "0 9 * * 1"
SET BOT MEMORY "last_run", NOW()
SET USER user_id
last = GET BOT MEMORY "last_run"
SEND EMAIL "ops@example.com", "Report", body
SEND MAIL recipient, subject, body
SEND FILE "report.pdf"
SAVE "log.csv", name, email, NOW()
INSERT "orders", order
UPDATE "orders", "id=" & id, changes
DELETE "orders", "id=" & id
MERGE "customers.csv", people, "email"
rows = FIND "orders.csv", "status=open"
WEBHOOK "order-paid"
page = GET "http://127.0.0.1:8080/status"
reply = POST "http://127.0.0.1:8080/orders", order
PUT "http://127.0.0.1:8080/orders/1", order
answer = LLM "Summarize: " & text
CREATE_TASK "Call back", customer.name, due
