start:
unused:
GOTO start
GOTO missing
