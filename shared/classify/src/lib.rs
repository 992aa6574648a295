//! Classification: language, sentiment, intent, spam, urgency and priority of posts.
