"""The way in: receive (`hooks`, `tracking`), read the body (`body`), let the connector verify and
parse, store idempotently (`store`), resolve people (`identity`), and answer (`answer`)."""
