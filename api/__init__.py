"""The HTTP edge of jiuzhu: Starlette app, authentication, request context, command line."""
