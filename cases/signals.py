from django.dispatch import Signal

# Sent after a status transition is committed, with `case`, `transition` and `actor`.
# Monitoring listens here (it builds on cases; cases never import monitoring).
case_transitioned = Signal()
