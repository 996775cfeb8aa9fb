"""Errors: the typed hierarchy (`classes`) and how an HTTP answer becomes one (`from_status`)."""
