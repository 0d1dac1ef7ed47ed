"""What happens to tickets, for the apps above them (channels mail the customer, later others page or
bill). Sent by the services inside their transaction; receivers defer their side effects until it commits
(``enqueue_with_commit``, ``transaction.on_commit``), so a change that rolls back tells no one."""

from django.dispatch import Signal

# ticket=<Ticket>, door=<str>: a ticket was opened (imports too: receivers check the door).
ticket_opened = Signal()
# message=<TicketMessage>: the provider answered the customer (a public reply by staff).
staff_replied = Signal()
# ticket=<Ticket>: the ticket was marked resolved.
ticket_resolved = Signal()
# quote=<Quote>: staff sent the price of a technical service request; it waits for the customer's decision.
quote_sent = Signal()
