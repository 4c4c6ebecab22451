"""URL converters: ids are 1–18 digits, so an id too large for the database is a plain 404."""


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
