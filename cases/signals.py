from django.dispatch import Signal

# Sent when a case changes status, with `case`, `transition` and `actor`, inside the
# transition's transaction: what a listener writes commits or rolls back with it.
# Monitoring listens here (it builds on cases; cases never import monitoring).
case_transitioned = Signal()

# Sent when a proceeding is recorded, with `proceeding` and `actor`, inside its transaction.
proceeding_recorded = Signal()

# A subject's identifiers erased, sent inside the erasure's transaction with `subject`, `cases`
# (a query of its cases) and `at` (the moment): apps empty their own sealed text and files.
subject_erased = Signal()
