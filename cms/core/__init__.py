"""Infrastructure shared by every domain package: types, errors, HTTP helpers."""
