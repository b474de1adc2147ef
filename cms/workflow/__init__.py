"""Editorial workflow and publishing: review, approval, versions, schedules, kills."""
