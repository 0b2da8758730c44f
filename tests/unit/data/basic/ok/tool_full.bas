' A tool with every kind of PARAM clause.
PARAM order_id AS STRING LIKE "CB-10234" DESCRIPTION "Order number"
PARAM quantity AS INTEGER LIKE 2 DESCRIPTION "How many"
PARAM size AS STRING ENUM ["S", "M", "L"] DESCRIPTION "Shirt size"
PARAM note AS STRING DESCRIPTION "Anything else" OPTIONAL
DESCRIPTION "Place an order for a shirt"

SAVE "orders.csv", order_id, quantity, size, note
TALK "Ordered ${quantity} of ${size}."
