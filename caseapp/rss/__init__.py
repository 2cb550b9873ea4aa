"""The Reintegration Sustainability Survey (RSS): a versioned questionnaire whose answers score the
economic, social and psychosocial dimensions and a composite between 0 and 1, at baseline and follow-up;
the scores over time on the case page and the RSS report."""
