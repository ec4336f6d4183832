# Read by gunicorn from the working directory (make run, scripts/stack).
# The access log leaves out query strings and referrers: a resident card's address carries its
# token in the query string (/card/?k=...), and a token must never be written to a log.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s "%(a)s"'
