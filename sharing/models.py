# Share links, click tracking, the points ledger and the leaderboard arrive with the engagement
# issue; the app exists now so that its migrations start from the first release.
