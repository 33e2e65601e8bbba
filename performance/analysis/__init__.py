"""`essence analyze` and `essence baseline`: emotion per face for files, as rows and tables."""
