"""Schema extensions that protect the API: query cost, and masking of unexpected errors."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import MaskErrors, SchemaExtension

from schema.errors import ClientError
from schema.pagination import DEFAULT_PAGE, MAX_PAGE

log = logging.getLogger("jiuzhu.errors")

MAX_COST = 25_000


class QueryCost(SchemaExtension):
    """Cost analysis: every field costs 1, and a connection's ``first`` multiplies its children's cost.

    A request above :data:`MAX_COST` is refused before it runs (code ``QUERY_TOO_COSTLY``); every response
    reports ``extensions.cost = {requested, maximum}`` so clients can see how close they are.
    """

    def __init__(self, max_cost: int = MAX_COST) -> None:
        self.max_cost = max_cost
        self.requested: int | None = None

    def on_validate(self) -> Iterator[None]:
        """Compute the cost before validation runs; an over-cost request is refused with no execution."""
        self._estimate()
        yield

    def _estimate(self) -> None:
        ctx = self.execution_context
        if ctx.pre_execution_errors or ctx.graphql_document is None:
            return
        fragments = {d.name.value: d for d in ctx.graphql_document.definitions if isinstance(d, FragmentDefinitionNode)}
        operations = [d for d in ctx.graphql_document.definitions if isinstance(d, OperationDefinitionNode)]
        if ctx.operation_name:
            operations = [o for o in operations if o.name and o.name.value == ctx.operation_name]
        if len(operations) != 1:
            return
        operation = operations[0]
        schema: GraphQLSchema = ctx.schema._schema
        root = schema.get_root_type(operation.operation)
        if root is None:
            return
        estimator = _Estimator(schema, fragments, ctx.variables or {})
        self.requested = estimator.selection_cost(operation.selection_set, root, depth=0)
        if self.requested > self.max_cost:
            error = ClientError(
                "QUERY_TOO_COSTLY",
                f"查询过于复杂（估算成本 {self.requested}，上限 {self.max_cost}）。请减少 first 或嵌套层级后分页查询。",
            )
            ctx.pre_execution_errors = [error]

    def get_results(self) -> dict[str, Any]:
        """Report the requested cost in the response ``extensions``."""
        if self.requested is None:
            return {}
        return {"cost": {"requested": self.requested, "maximum": self.max_cost}}


def _named(gtype: Any) -> Any:
    while isinstance(gtype, GraphQLNonNull | GraphQLList):
        gtype = gtype.of_type
    return gtype


class _Estimator:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def _first(self, node: FieldNode) -> int:
        for arg in node.arguments or ():
            if arg.name.value not in ("first", "last"):
                continue
            value = arg.value
            if isinstance(value, IntValueNode):
                return _clamp(int(value.value))
            if isinstance(value, VariableNode):
                raw = self.variables.get(value.name.value)
                return _clamp(raw) if isinstance(raw, int) else DEFAULT_PAGE
        return DEFAULT_PAGE

    def selection_cost(self, selection_set: SelectionSetNode | None, parent: Any, depth: int) -> int:
        if selection_set is None or depth > 50:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field_cost(selection, parent, depth)
            elif isinstance(selection, InlineFragmentNode):
                cond = selection.type_condition
                target = self.schema.get_type(cond.name.value) if cond else parent
                total += self.selection_cost(selection.selection_set, target or parent, depth + 1)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value) or parent
                    total += self.selection_cost(fragment.selection_set, target, depth + 1)
        return total

    def _field_cost(self, node: FieldNode, parent: Any, depth: int) -> int:
        field = _lookup(parent, node.name.value)
        if field is None:
            return 1
        child_type = _named(field.type)
        children = self.selection_cost(node.selection_set, child_type, depth + 1)
        if isinstance(child_type, GraphQLObjectType) and child_type.name.endswith("Connection"):
            return 1 + self._first(node) * children
        if isinstance(child_type, GraphQLInterfaceType) and node.name.value == "nodes":
            return 1 + self._ids(node) * children
        return 1 + children

    def _ids(self, node: FieldNode) -> int:
        """How many objects ``nodes(ids:)`` may return (each costs its whole selection)."""
        for arg in node.arguments or ():
            if arg.name.value != "ids":
                continue
            value = arg.value
            raw = self.variables.get(value.name.value) if isinstance(value, VariableNode) else None
            if isinstance(value, ListValueNode):
                return _clamp(len(value.values))
            return _clamp(len(raw)) if isinstance(raw, list) else MAX_PAGE
        return 1


def _lookup(parent: Any, name: str) -> GraphQLField | None:
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return parent.fields.get(name)
    if isinstance(parent, GraphQLUnionType):
        for member in parent.types:
            if name in member.fields:
                return member.fields[name]
    return None


def _clamp(value: int) -> int:
    return max(1, min(MAX_PAGE, value))


class MaskUnexpectedErrors(MaskErrors):
    """Validation errors and our typed errors reach the client; any other exception becomes a generic
    Chinese message with an error id, and the server logs the traceback under that id."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_unexpected, error_message="服务器内部错误，请稍后重试。")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        """Log the original with a fresh id; return the masked error carrying that id."""
        error_id = uuid.uuid4().hex[:12]
        original = error.original_error
        log.error(
            "unexpected error %s at %s: %r",
            error_id,
            ".".join(str(p) for p in error.path or ()),
            original,
            exc_info=(type(original), original, original.__traceback__) if original else None,
        )
        return GraphQLError(
            message=f"{self.error_message}（错误编号 {error_id}）",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": "INTERNAL_ERROR", "errorId": error_id},
        )


def _unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:
        return False
    return not isinstance(original, ClientError | GraphQLError)
