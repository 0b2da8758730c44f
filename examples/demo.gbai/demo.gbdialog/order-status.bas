' order-status.bas - a tool: tells where a customer's order is.
PARAM order_id AS STRING LIKE "CB-10234" DESCRIPTION "Order number printed on the receipt"
PARAM email AS EMAIL DESCRIPTION "E-mail address used for the order"
DESCRIPTION "Look up the delivery status of an order"

order = FIND "orders.csv", "id=" + order_id
IF order = NULL THEN
    TALK "I cannot find order ${order_id}. Please check the number."
ELSE IF order.email <> email THEN
    TALK "That e-mail does not match the order."
ELSE
    TALK "Order ${order_id} is ${order.status}."
END IF
