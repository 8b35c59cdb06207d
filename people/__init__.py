"""The people who use Settle, as themselves: each user's own settings (the time zone their
pages show times in, optionally the language), the middleware that applies them to every
signed-in request, the "Your settings" page, and the template filters that name a user and
show a time in a client's zone (``{% load display %}``)."""
