"""Sessions: the logins' cookies, the gateway's check of each request, the person's list of
sessions, logout, and the connection log."""
