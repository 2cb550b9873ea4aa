"""language: each user's language, Georgian names of the field offices and the assistance catalog

`user_account.locale` (empty: the browser's language); `field_office.name_ka` and
`assistance_type.name_ka` (empty: the English name is shown). The existing names stay the English
names; the six shipped offices and the fourteen standard assistance types get their Georgian names
(rows an administrator added or renamed keep an empty Georgian name until someone types it).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

#: English name of a shipped office -> its Georgian name
OFFICES_KA = {
    "Tbilisi": "თბილისი",
    "Gori": "გორი",
    "Telavi": "თელავი",
    "Kutaisi": "ქუთაისი",
    "Akhaltsikhe": "ახალციხე",
    "Poti": "ფოთი",
}

#: code of a standard assistance type -> its Georgian name (the terms of caseapp/translations/GLOSSARY.md)
CATALOG_KA = {
    "reception": "დახვედრა და დახმარება ჩამოსვლისას",
    "business_counselling": "ბიზნეს-კონსულტაციის სესია",
    "business_grant": "მიკრობიზნესის გრანტი",
    "voc_ed_counselling": "პროფესიული განათლების კონსულტაცია",
    "voc_ed_grant": "პროფესიული განათლების გრანტი",
    "tools": "ხელსაწყოები თვითდასაქმებისთვის",
    "temporary_housing": "დროებითი საცხოვრებელი",
    "accommodation": "საცხოვრებლით დახმარება",
    "medical_counselling": "სამედიცინო კონსულტაცია და გადამისამართება",
    "medical_assistance": "სამედიცინო დახმარება",
    "living_conditions": "საცხოვრებელი პირობების გაუმჯობესება",
    "employment": "დასაქმების ხელშეწყობა",
    "training": "ტრენინგი",
    "livelihood_items": "საარსებო ნივთები",
}


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))
    with op.batch_alter_table('field_office', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_ka', sa.String(length=80), server_default='', nullable=False))
    with op.batch_alter_table('assistance_type', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_ka', sa.String(length=120), server_default='', nullable=False))

    offices = sa.table("field_office", sa.column("name", sa.String), sa.column("name_ka", sa.String))
    for name, name_ka in OFFICES_KA.items():
        op.execute(offices.update().where(offices.c.name == name).values(name_ka=name_ka))
    catalog = sa.table("assistance_type", sa.column("code", sa.String), sa.column("name_ka", sa.String))
    for code, name_ka in CATALOG_KA.items():
        op.execute(catalog.update().where(catalog.c.code == code).values(name_ka=name_ka))


def downgrade():
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+ and PostgreSQL), not a batch rebuild: rebuilding
    # field_office or assistance_type would drop a table other tables refer to.
    op.drop_column('assistance_type', 'name_ka')
    op.drop_column('field_office', 'name_ka')
    op.drop_column('user_account', 'locale')
