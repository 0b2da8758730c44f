' start.bas - the greeting dialog of the demo bookshop bot.
REM It offers the tools below and the knowledge base.

USE KB "policies"
USE TOOL "order-status"
USE TOOL "reserve-book"

CLEAR SUGGESTIONS
ADD SUGGESTION "order" AS "Where is my order?"
ADD SUGGESTION "reserve" AS "Reserve a book"

TALK "Hello! I am Page, the assistant of Corner Books."
TALK "Ask me about an order, or reserve a book for pick-up."

HEAR answer
IF answer = "" THEN
    TALK "Take your time, I will be here."
END IF
