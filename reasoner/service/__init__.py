"""`reasoner serve`: an HTTP API and a Da Vinci CRD (CDS Hooks) coverage service over the core."""
