"""nbgrader configuration of the course (read by every `nbgrader` command run here)."""
c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "gradient-stability"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# The sqlite gradebook (gradebook.db) lives in the course root, the default.

# Reference solutions run in well under a minute; one slow cell should still not time out.
c.Execute.timeout = 180
c.Execute.interrupt_on_timeout = True

# Restore any grade or test cell a student deleted, instead of failing the notebook.
c.OverwriteCells.add_missing_cells = True

# A test cell that writes to stderr is scored as failed. A warning (even one raised inside
# the student's own function) is not a failure: drop stderr output that is a warning.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"\w*Warning: |Matplotlib is building the font cache"

# Released notebooks keep the cell metadata nbgrader needs; student files stay readable.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
