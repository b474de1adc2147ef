"""URL rule pieces shared by the blueprints."""

#: Path converter for database ids: bounded so that a huge number is a 404,
#: never an integer overflow in the database.
ID = "int(min=1, max=2147483647)"
