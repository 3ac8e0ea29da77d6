"""What the tests share besides fixtures: settings, a hand-moved clock, scenarios, staff
accounts, histories, racers."""
