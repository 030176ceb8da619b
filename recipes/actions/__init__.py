"""Result actions: findings and interview results pushed where teams work (issues, messages,
CRM fields), as outbox rows written with the change that caused them.

`enqueue` writes the rows in the synthesis transaction, `render` gives them their words,
`validate` checks a recipe's actions when it is saved, `handler` sends claimed rows through
the connections' destinations (connectors.sdk.actions).
"""
