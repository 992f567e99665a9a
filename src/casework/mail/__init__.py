"""E-mail: messages' threading facts, threads, and duplicates across mailboxes."""
