"""gunicorn's settings for Settle, read from the working directory by every way Settle starts
gunicorn (the Docker image, `make prod-web`, `make prod`); their command lines add the bind
address, the workers and the access log.

gunicorn refuses an over-long request line or too many/too large headers itself (400, before
Django runs). It has no body limit: the app refuses a Content-Length above
SETTLE_MAX_REQUEST_MB with 413 unread (infra.http), and the proxy in front (nginx
client_max_body_size) bounds bodies sent without a length."""

# The request line (method, path and query): the longest worklist filter URL is far below it.
limit_request_line = 4094
# Header lines per request, and bytes per header line (cookies included).
limit_request_fields = 50
limit_request_field_size = 8190
