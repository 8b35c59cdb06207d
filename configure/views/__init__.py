"""The admin configuration pages. Every view is ``admin_required`` (bookkeepers get 403);
reads come from ``configure.selectors``, writes go through ``configure.services``."""
