"""The routes every service serves for its operators: health and readiness, metrics and
stats, the test clock and due jobs (test stacks only), and outbox rebuilds."""
