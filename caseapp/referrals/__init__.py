"""Partner organisations and referrals to them, with a closed loop (sent -> answered -> closed)."""
