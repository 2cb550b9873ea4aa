"""Data protection: the retention policy and anonymisation (`flask anonymise`), and the file of everything
held about one person for a data-subject request."""
