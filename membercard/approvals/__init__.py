"""Four eyes: a risky action is filed as a request by its maker and posted only when a
second person approves it (``services``); who may decide what and the thresholds that say
when a request is needed (``kinds``, ``thresholds``); what waits for whom (``selectors``).
"""
