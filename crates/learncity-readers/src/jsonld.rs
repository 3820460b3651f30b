//! schema.org JSON-LD (Course, CourseInstance, Event, EducationEvent).
