"""The skill catalogue: names used by technicians and requests."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from fieldops.api.auth import READERS, WRITERS, roles
from fieldops.api.ext import session
from fieldops.api.schemas import PageArgs, SkillCatalogueSchema, page_schema
from fieldops.services.crud import page
from fieldops.services.resources import put_skill, skills_query
from fieldops.store.models import SkillRow

blp = Blueprint("skills", __name__, url_prefix="/api/v1/skills",
                description="The skill catalogue (names used by technicians and requests).")


def skill_json(row: SkillRow) -> dict[str, Any]:
    return {"name": row.name, "description": row.description}


@blp.route("", methods=["GET"])
@roles(*READERS)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(SkillCatalogueSchema, "SkillPage"))
def list_skills(args: dict[str, Any]) -> dict[str, Any]:
    """List known skills."""
    with session() as s:
        return page(s, skills_query(), args, skill_json)


@blp.route("", methods=["POST"])
@roles(*WRITERS)
@blp.arguments(SkillCatalogueSchema)
@blp.response(201, SkillCatalogueSchema)
def create_skill(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Add a skill to the catalogue (or update its description)."""
    with session() as s:
        return skill_json(put_skill(s, body["name"], body.get("description"))), 201
