"""gradkit.course: the instructor's side of the course (grading engine, class report,
site builder). ``gradkit`` never imports it; its heavier dependencies come with the
``course`` extra."""

__all__: list[str] = []
