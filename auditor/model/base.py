"""Shared base for every serialised model.

Models are frozen and reject unknown fields. A field that was not observed is ``None``;
no model invents a default such as ``False`` or ``"DISABLED"`` for something it did not see.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

# An IAM policy document exactly as AWS returned it (parsed JSON). Evaluated by auditor.iam.
PolicyDocument = dict[str, Any]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
