"""`reasoner ask`: an interview that completes a case one answer at a time."""
