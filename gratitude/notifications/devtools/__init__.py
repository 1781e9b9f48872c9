"""Dev and test only: sample messages for previews, and the fault points of the drills."""
