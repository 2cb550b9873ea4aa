"""The reintegration plan of a case: goals in the economic, social and psychosocial dimensions, each with
its planned assistance and estimated cost, whether a referral is needed, a target date and a status. A
supervisor approves the plan; the person who drafted it cannot (four eyes, as with money)."""
