WITH customer
    .name = "Ana"
    .email = "ana@example.com"
    city = "Lisbon"
END WITH

BEGIN TALK
Dear ${customer.name},
your order ${order.id} ships today.
END TALK

BEGIN MAIL customer.email
Subject: Your order
Total: ${FORMAT(order.total, "0.00")}
END MAIL

BEGIN SYSTEM
You are the assistant of a small bookshop. Be brief.
END SYSTEM

TABLE orders ON "shop"
    id NUMBER KEY
    customer STRING(120)
    total DECIMAL(10, 2) REQUIRED
    placed_at DATETIME
END TABLE

ON EVENT "order.created"
    TALK "new order"
END ON

ON FORM "contact"
    SAVE "contacts.csv", form.name, form.email
END ON

ON TIMEOUT 30
    TALK "Still there?"
END ON

PARALLEL
    a = GET "http://127.0.0.1:8080/a"
    b = GET "http://127.0.0.1:8080/b"
END PARALLEL
