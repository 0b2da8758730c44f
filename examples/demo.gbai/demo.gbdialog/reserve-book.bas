' reserve-book.bas - a tool: holds a book at the counter for three days.
PARAM title AS STRING DESCRIPTION "Title of the book"
PARAM copies AS INTEGER LIKE 1 DESCRIPTION "How many copies" OPTIONAL
PARAM pickup AS DATE DESCRIPTION "Day the customer will come"
DESCRIPTION "Reserve a book for pick-up at the shop"

IF copies = NULL THEN copies = 1

SAVE "reservations.csv", title, copies, pickup
TALK "Done: ${copies} of ${title} will wait for you on ${pickup}."
