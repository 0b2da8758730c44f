IF score > 90 THEN grade = "A" ELSE grade = "B"
IF ok THEN TALK "fine"

IF score >= 90 THEN
    TALK "excellent"
ELSE IF score >= 70 THEN
    TALK "good"
ELSEIF score >= 50 THEN
    TALK "fair"
ELSE
    TALK "try again"
END IF

SELECT CASE plan
    CASE "basic"
        price = 10
    CASE "pro", "team"
        price = 30
    CASE ELSE
        price = 0
END SELECT

SWITCH lang
    CASE "pt"
        TALK "Olá"
    DEFAULT
        TALK "Hi"
END SWITCH
