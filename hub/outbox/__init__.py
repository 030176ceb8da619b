"""The outbox: side effects written with the decision that wants them, sent by workers, marked once.

`rows` adds rows and wakes a worker, `claims` hands rows to one worker under a lease,
`outcomes` turns what a send raised into sent / retry / failed / dead, `worker` is the job
that drains due rows through the handler registered for each kind (`handlers`), and
`replay` sends failed and dead rows again. Domains (invites now, result actions later) only
write rows and register a handler; nothing here knows what an invite is.

Deliberately empty of imports: the domain imports `rows` and `types` while `worker` reaches
the domain's handlers, and importing the package must not start that chain.
"""
