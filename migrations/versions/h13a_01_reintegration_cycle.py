"""the reintegration cycle: versioned questionnaires (intake assessment, Reintegration Sustainability
Survey), assessments, plans with goals and planned assistance, surveys with their scores, and the goal an
assistance record serves. The free-text plan of each case becomes its plan's summary (and back).

Revision ID: h13a_01
Revises: h12b_01
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "h13a_01"
down_revision = "h12b_01"
branch_labels = None
depends_on = None


def _t(en, ka):
    return {"en": en, "ka": ka}


def _option(value, en, ka, score=None):
    option = {"value": value, "text": _t(en, ka)}
    if score is not None:
        option["score"] = score
    return option


LEVELS = [
    _option("high", "High", "მაღალი"),
    _option("medium", "Medium", "საშუალო"),
    _option("low", "Low or none", "დაბალი ან არ არის"),
]

#: the intake assessment, version 1: screening first, then needs and skills per dimension
ASSESSMENT_V1 = {
    "sections": [
        {
            "code": "screening",
            "dimension": None,
            "title": _t("Screening", "სკრინინგი"),
            "questions": [
                {
                    "code": "urgent_need",
                    "type": "choice",
                    "required": True,
                    "text": _t("Most urgent need on arrival", "ყველაზე გადაუდებელი საჭიროება დაბრუნებისას"),
                    "options": [
                        _option("none", "None", "არცერთი"),
                        _option("medical", "Medical care", "სამედიცინო დახმარება"),
                        _option("shelter", "Shelter", "თავშესაფარი"),
                        _option("food", "Food", "საკვები"),
                        _option("protection", "Protection", "დაცვა"),
                    ],
                },
                {"code": "screening_notes", "type": "text", "text": _t("Screening notes", "სკრინინგის შენიშვნები")},
            ],
        },
        {
            "code": "economic",
            "dimension": "economic",
            "title": _t("Economic", "ეკონომიკური"),
            "questions": [
                {
                    "code": "eco_need_income",
                    "type": "choice",
                    "kind": "need",
                    "required": True,
                    "text": _t("Need for income or work", "შემოსავლის ან სამუშაოს საჭიროება"),
                    "options": LEVELS,
                },
                {
                    "code": "eco_skill_work",
                    "type": "choice",
                    "kind": "skill",
                    "required": True,
                    "text": _t("Work experience and skills", "სამუშაო გამოცდილება და უნარები"),
                    "options": [
                        _option("none", "None", "არ აქვს"),
                        _option("some", "Some", "გარკვეული"),
                        _option("professional", "Professional", "პროფესიული"),
                    ],
                },
                {
                    "code": "eco_skills_text",
                    "type": "text",
                    "kind": "skill",
                    "text": _t("Trade, education and work experience", "ხელობა, განათლება და სამუშაო გამოცდილება"),
                },
            ],
        },
        {
            "code": "social",
            "dimension": "social",
            "title": _t("Social", "სოციალური"),
            "questions": [
                {
                    "code": "soc_need_housing",
                    "type": "choice",
                    "kind": "need",
                    "required": True,
                    "text": _t("Need for housing", "საცხოვრებლის საჭიროება"),
                    "options": LEVELS,
                },
                {
                    "code": "soc_need_services",
                    "type": "choice",
                    "kind": "need",
                    "required": True,
                    "text": _t(
                        "Need for health care, education or documents",
                        "ჯანდაცვის, განათლების ან დოკუმენტების საჭიროება",
                    ),
                    "options": LEVELS,
                },
                {
                    "code": "soc_skill_network",
                    "type": "choice",
                    "kind": "skill",
                    "required": True,
                    "text": _t("Family and community network", "ოჯახური და სათემო კავშირები"),
                    "options": [
                        _option("none", "None", "არ აქვს"),
                        _option("some", "Some", "გარკვეული"),
                        _option("strong", "Strong", "ძლიერი"),
                    ],
                },
            ],
        },
        {
            "code": "psychosocial",
            "dimension": "psychosocial",
            "title": _t("Psychosocial", "ფსიქოსოციალური"),
            "questions": [
                {
                    "code": "psy_need_support",
                    "type": "choice",
                    "kind": "need",
                    "required": True,
                    "text": _t("Need for psychosocial support", "ფსიქოსოციალური მხარდაჭერის საჭიროება"),
                    "options": LEVELS,
                },
                {
                    "code": "psy_skill_coping",
                    "type": "choice",
                    "kind": "skill",
                    "required": True,
                    "text": _t("Coping and resilience", "გამკლავების უნარი და მედეგობა"),
                    "options": [
                        _option("weak", "Weak", "სუსტი"),
                        _option("fair", "Fair", "საშუალო"),
                        _option("good", "Good", "კარგი"),
                    ],
                },
                {"code": "psy_notes", "type": "text", "text": _t("Notes on wellbeing", "შენიშვნები კეთილდღეობაზე")},
            ],
        },
    ],
}

FIVE = [
    ("1", "Very poor", "ძალიან ცუდი", "0"),
    ("2", "Poor", "ცუდი", "0.25"),
    ("3", "Fair", "საშუალო", "0.5"),
    ("4", "Good", "კარგი", "0.75"),
    ("5", "Very good", "ძალიან კარგი", "1"),
]
OFTEN = [
    ("very_often", "Very often", "ძალიან ხშირად", "0"),
    ("often", "Often", "ხშირად", "0.25"),
    ("sometimes", "Sometimes", "ზოგჯერ", "0.5"),
    ("rarely", "Rarely", "იშვიათად", "0.75"),
    ("never", "Never", "არასდროს", "1"),
]
YES_NO = [("yes", "Yes", "დიახ", "1"), ("no", "No", "არა", "0")]
NO_YES = [("yes", "Yes", "დიახ", "0"), ("no", "No", "არა", "1")]


def _indicator(code, en, ka, scale, *, na=False, weight="1"):
    options = [_option(value, o_en, o_ka, score) for value, o_en, o_ka, score in scale]
    if na:
        options.append(_option("na", "Does not apply", "არ ეხება"))  # no score: left out of the mean
    return {"code": code, "type": "choice", "required": True, "weight": weight, "text": _t(en, ka), "options": options}


#: the Reintegration Sustainability Survey, version 1: IOM's RSS structure (indicators of the economic,
#: social and psychosocial dimensions, each option scored 0..1, dimension scores and a composite between 0
#: and 1) with equal weights; a mission loads the published indicator weights as a new version
RSS_V1 = {
    "dimension_weights": {"economic": "1", "social": "1", "psychosocial": "1"},
    "sections": [
        {
            "code": "economic",
            "dimension": "economic",
            "title": _t("Economic", "ეკონომიკური"),
            "questions": [
                _indicator(
                    "eco_satisfaction",
                    "Satisfaction with your current economic situation",
                    "კმაყოფილება ამჟამინდელი ეკონომიკური მდგომარეობით",
                    FIVE,
                ),
                _indicator(
                    "eco_food",
                    "How often did you have to reduce the food you eat because of its cost?",
                    "რამდენად ხშირად მოგიწიათ საკვების შემცირება მისი ფასის გამო?",
                    OFTEN,
                ),
                _indicator(
                    "eco_income", "Do you have a regular source of income?", "გაქვთ შემოსავლის მუდმივი წყარო?", YES_NO
                ),
                _indicator(
                    "eco_borrow",
                    "Could you borrow money if you needed it?",
                    "შეძლებდით ფულის სესხებას, საჭიროების შემთხვევაში?",
                    YES_NO,
                ),
                _indicator(
                    "eco_debt",
                    "Are your debts larger than what you spend in a month?",
                    "აღემატება თქვენი ვალი თვიურ ხარჯს?",
                    NO_YES,
                ),
                _indicator(
                    "eco_job_search",
                    "Are you looking for work without finding any?",
                    "ეძებთ სამუშაოს და ვერ პოულობთ?",
                    NO_YES,
                ),
            ],
        },
        {
            "code": "social",
            "dimension": "social",
            "title": _t("Social", "სოციალური"),
            "questions": [
                _indicator("soc_housing", "Standard of your housing", "თქვენი საცხოვრებლის მდგომარეობა", FIVE),
                _indicator(
                    "soc_health",
                    "Access to health care when you need it",
                    "ჯანდაცვის ხელმისაწვდომობა საჭიროების დროს",
                    FIVE,
                ),
                _indicator(
                    "soc_school",
                    "Do all school-age children of the household go to school?",
                    "დადის ოჯახის ყველა სასკოლო ასაკის ბავშვი სკოლაში?",
                    YES_NO,
                    na=True,
                ),
                _indicator(
                    "soc_documents",
                    "Do you have your identity documents?",
                    "გაქვთ პირადობის დამადასტურებელი დოკუმენტები?",
                    YES_NO,
                ),
                _indicator("soc_water", "Access to safe drinking water", "სუფთა სასმელი წყლის ხელმისაწვდომობა", FIVE),
            ],
        },
        {
            "code": "psychosocial",
            "dimension": "psychosocial",
            "title": _t("Psychosocial", "ფსიქოსოციალური"),
            "questions": [
                _indicator(
                    "psy_activities",
                    "How often do you take part in social activities?",
                    "რამდენად ხშირად მონაწილეობთ საზოგადოებრივ აქტივობებში?",
                    [(v, en, ka, str(1 - float(s))) for v, en, ka, s in OFTEN],
                ),
                _indicator(
                    "psy_support",
                    "Do you have people to turn to for support?",
                    "გყავთ ადამიანები, ვისაც მხარდაჭერისთვის მიმართავთ?",
                    YES_NO,
                ),
                _indicator(
                    "psy_belonging",
                    "Do you feel part of the community where you live?",
                    "გრძნობთ თავს იმ თემის ნაწილად, სადაც ცხოვრობთ?",
                    YES_NO,
                ),
                _indicator(
                    "psy_discrimination",
                    "How often do you feel discriminated against?",
                    "რამდენად ხშირად გრძნობთ დისკრიმინაციას?",
                    OFTEN,
                ),
                _indicator(
                    "psy_distress",
                    "How often do you feel distress, anger, fear or sadness?",
                    "რამდენად ხშირად გრძნობთ სტრესს, ბრაზს, შიშს ან სევდას?",
                    OFTEN,
                ),
                _indicator(
                    "psy_safety",
                    "Do you feel physically safe in your daily life?",
                    "გრძნობთ თავს ფიზიკურად უსაფრთხოდ ყოველდღიურ ცხოვრებაში?",
                    YES_NO,
                ),
            ],
        },
    ],
}


def upgrade():
    questionnaire = op.create_table(
        "questionnaire_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "assessment", "rss", name="questionnaire_kind", native_enum=False, create_constraint=True, length=18
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_version")),
        sa.UniqueConstraint("kind", "version", name=op.f("uq_questionnaire_version_kind")),
    )
    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_version_id", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("assessed_by_id", sa.Integer(), nullable=True),
        sa.Column("assessed_by_name", sa.String(length=120), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["assessed_by_id"],
            ["user_account.id"],
            name=op.f("fk_assessment_assessed_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["reintegration_case.id"],
            name=op.f("fk_assessment_case_id_reintegration_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["questionnaire_version_id"],
            ["questionnaire_version.id"],
            name=op.f("fk_assessment_questionnaire_version_id_questionnaire_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
    )
    with op.batch_alter_table("assessment") as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_case_id"), ["case_id"], unique=False)
    op.create_table(
        "reintegration_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "approved", name="plan_status", native_enum=False, create_constraint=True, length=16),
            server_default="draft",
            nullable=False,
        ),
        sa.Column("drafted_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_by_name", sa.String(length=120), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "status != 'approved' OR (approved_at IS NOT NULL AND approved_by_name IS NOT NULL)",
            name=op.f("ck_reintegration_plan_approved_has_approver"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["user_account.id"],
            name=op.f("fk_reintegration_plan_approved_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["reintegration_case.id"],
            name=op.f("fk_reintegration_plan_case_id_reintegration_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["drafted_by_id"],
            ["user_account.id"],
            name=op.f("fk_reintegration_plan_drafted_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reintegration_plan")),
        sa.UniqueConstraint("case_id", name=op.f("uq_reintegration_plan_case_id")),
    )
    op.create_table(
        "plan_goal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column(
            "dimension",
            sa.Enum(
                "economic",
                "social",
                "psychosocial",
                name="dimension",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("referral_needed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "in_progress",
                "achieved",
                "dropped",
                name="goal_status",
                native_enum=False,
                create_constraint=True,
                length=19,
            ),
            server_default="planned",
            nullable=False,
        ),
        sa.Column("drop_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "status != 'dropped' OR drop_reason IS NOT NULL", name=op.f("ck_plan_goal_dropped_has_reason")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["reintegration_plan.id"],
            name=op.f("fk_plan_goal_plan_id_reintegration_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_goal")),
    )
    with op.batch_alter_table("plan_goal") as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_goal_plan_id"), ["plan_id"], unique=False)
    op.create_table(
        "planned_assistance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("estimated_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column(
            "currency",
            sa.Enum("GEL", "EUR", "USD", name="currency", native_enum=False, create_constraint=True, length=11),
            nullable=True,
        ),
        sa.CheckConstraint(
            "(estimated_amount IS NULL) = (currency IS NULL)", name=op.f("ck_planned_assistance_amount_has_currency")
        ),
        sa.CheckConstraint(
            "estimated_amount IS NULL OR estimated_amount >= 0", name=op.f("ck_planned_assistance_amount_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["plan_goal.id"], name=op.f("fk_planned_assistance_goal_id_plan_goal"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["type_id"], ["assistance_type.id"], name=op.f("fk_planned_assistance_type_id_assistance_type")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_assistance")),
    )
    with op.batch_alter_table("planned_assistance") as batch_op:
        batch_op.create_index(batch_op.f("ix_planned_assistance_goal_id"), ["goal_id"], unique=False)
    op.create_table(
        "rss_survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("returnee_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("questionnaire_version_id", sa.Integer(), nullable=False),
        sa.Column(
            "survey_round",
            sa.Enum("baseline", "follow_up", name="survey_round", native_enum=False, create_constraint=True, length=17),
            nullable=False,
        ),
        sa.Column("surveyed_on", sa.Date(), nullable=False),
        sa.Column("surveyed_by_id", sa.Integer(), nullable=True),
        sa.Column("surveyed_by_name", sa.String(length=120), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("economic_score", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("social_score", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("psychosocial_score", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("composite_score", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "composite_score IS NULL OR (composite_score >= 0 AND composite_score <= 1)",
            name=op.f("ck_rss_survey_composite_between_0_and_1"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["reintegration_case.id"],
            name=op.f("fk_rss_survey_case_id_reintegration_case"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["questionnaire_version_id"],
            ["questionnaire_version.id"],
            name=op.f("fk_rss_survey_questionnaire_version_id_questionnaire_version"),
        ),
        sa.ForeignKeyConstraint(
            ["returnee_id"], ["returnee.id"], name=op.f("fk_rss_survey_returnee_id_returnee"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["surveyed_by_id"],
            ["user_account.id"],
            name=op.f("fk_rss_survey_surveyed_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rss_survey")),
    )
    with op.batch_alter_table("rss_survey") as batch_op:
        batch_op.create_index(batch_op.f("ix_rss_survey_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rss_survey_returnee_id"), ["returnee_id"], unique=False)
        batch_op.create_index("ix_rss_survey_round_date", ["survey_round", "surveyed_on", "returnee_id"], unique=False)
    with op.batch_alter_table("assistance_record") as batch_op:
        batch_op.add_column(sa.Column("goal_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_assistance_record_goal_id"), ["goal_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_assistance_record_goal_id_plan_goal"), "plan_goal", ["goal_id"], ["id"], ondelete="SET NULL"
        )

    # The shipped questionnaires (version 1 of each).
    now = sa.func.current_timestamp()
    connection = op.get_bind()
    for kind, title, definition in (
        ("assessment", "Intake assessment (screening, needs and skills)", ASSESSMENT_V1),
        ("rss", "Reintegration Sustainability Survey (IOM structure, equal weights)", RSS_V1),
    ):
        connection.execute(
            questionnaire.insert().values(
                kind=kind,
                version=1,
                title=title,
                definition=json.loads(json.dumps(definition)),
                active=True,
                created_at=now,
            )
        )

    # Every case's free-text plan becomes the summary of its plan (a draft: nobody approved it).
    cases = sa.table(
        "reintegration_case",
        sa.column("id", sa.Integer),
        sa.column("plan", sa.Text),
        sa.column("caseworker_id", sa.Integer),
        sa.column("created_at", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
    )
    plans = sa.table(
        "reintegration_plan",
        sa.column("case_id", sa.Integer),
        sa.column("summary", sa.Text),
        sa.column("status", sa.String),
        sa.column("drafted_by_id", sa.Integer),
        sa.column("created_at", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
        sa.column("version", sa.Integer),
    )
    connection.execute(
        plans.insert().from_select(
            ["case_id", "summary", "status", "drafted_by_id", "created_at", "updated_at", "version"],
            sa.select(
                cases.c.id,
                cases.c.plan,
                sa.literal("draft"),
                cases.c.caseworker_id,
                cases.c.created_at,
                cases.c.updated_at,
                sa.literal(1),
            ).where(cases.c.plan != ""),
        )
    )
    with op.batch_alter_table("reintegration_case") as batch_op:
        batch_op.drop_column("plan")


def downgrade():
    with op.batch_alter_table("reintegration_case") as batch_op:
        batch_op.add_column(sa.Column("plan", sa.Text(), server_default="", nullable=False))
    cases = sa.table("reintegration_case", sa.column("id", sa.Integer), sa.column("plan", sa.Text))
    plans = sa.table("reintegration_plan", sa.column("case_id", sa.Integer), sa.column("summary", sa.Text))
    op.get_bind().execute(
        cases.update()
        .values(plan=sa.select(plans.c.summary).where(plans.c.case_id == cases.c.id).scalar_subquery())
        .where(sa.exists().where(plans.c.case_id == cases.c.id))
    )
    with op.batch_alter_table("assistance_record") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_assistance_record_goal_id_plan_goal"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_assistance_record_goal_id"))
        batch_op.drop_column("goal_id")
    with op.batch_alter_table("rss_survey") as batch_op:
        batch_op.drop_index("ix_rss_survey_round_date")
        batch_op.drop_index(batch_op.f("ix_rss_survey_returnee_id"))
        batch_op.drop_index(batch_op.f("ix_rss_survey_case_id"))
    op.drop_table("rss_survey")
    with op.batch_alter_table("planned_assistance") as batch_op:
        batch_op.drop_index(batch_op.f("ix_planned_assistance_goal_id"))
    op.drop_table("planned_assistance")
    with op.batch_alter_table("plan_goal") as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_goal_plan_id"))
    op.drop_table("plan_goal")
    op.drop_table("reintegration_plan")
    with op.batch_alter_table("assessment") as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_case_id"))
    op.drop_table("assessment")
    op.drop_table("questionnaire_version")
