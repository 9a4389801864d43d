"""Schema extensions that protect the API: query cost, and masking of unexpected errors."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
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
    GraphQLSyntaxError,
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
#: Field selections in the whole document once every fragment spread is expanded (operations and fragment
#: definitions alike: validation walks all of them). Bounds the work of validation and of the walks below.
MAX_FIELDS = 1_500
#: Pairs of field selections that land on one response path (``{ me me me }``: 3 pairs). Validation's
#: "fields can be merged" rule compares every such pair, so its work grows with the square of duplicates.
MAX_MERGE_PAIRS = 5_000
#: Nesting of selection sets and fragment spreads once expanded (the field depth limit is 12).
MAX_NESTING = 40


class QueryCost(SchemaExtension):
    """Cost analysis: every field costs 1, and a connection's ``first`` multiplies its children's cost.

    Runs before validation, in time linear in the document: it first checks the document's shape (no fragment
    cycle, at most :data:`MAX_NESTING` levels, :data:`MAX_FIELDS` expanded fields and :data:`MAX_MERGE_PAIRS`
    duplicate pairs, so that validation itself stays cheap), then the cost of the operation to run, memoising
    each fragment's cost and stopping as soon as the running total passes the maximum.

    A request above :data:`MAX_COST` is refused before it runs (code ``QUERY_TOO_COSTLY``); every response
    reports ``extensions.cost = {requested, maximum}`` so clients can see how close they are.
    """

    def __init__(self, max_cost: int = MAX_COST) -> None:
        self.max_cost = max_cost
        self.requested: int | None = None

    def on_validate(self) -> Iterator[None]:
        """Check the shape and the cost before validation runs; a refused request is never validated or run."""
        ctx = self.execution_context
        if not ctx.pre_execution_errors and ctx.graphql_document is not None:
            try:
                self._check(ctx.graphql_document)
            except ClientError as error:
                ctx.pre_execution_errors = [error]
        yield

    def _check(self, document: DocumentNode) -> None:
        ctx = self.execution_context
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        shape = _Shape(fragments)
        expanded = shape.expanded_fields(document)
        operation = _selected_operation(document, ctx.operation_name)
        schema: GraphQLSchema = ctx.schema._schema
        root = schema.get_root_type(operation.operation) if operation is not None else None
        if operation is not None and root is not None:
            variables = ctx.variables if isinstance(ctx.variables, dict) else {}
            estimator = _Estimator(schema, fragments, variables, self.max_cost)
            try:
                self.requested = estimator.selection_cost(operation.selection_set, root)
            except _OverBudget as over:
                self.requested = over.total
                raise ClientError(
                    "QUERY_TOO_COSTLY",
                    f"查询过于复杂（估算成本至少 {over.total}，上限 {self.max_cost}）。"
                    "请减少 first 或嵌套层级后分页查询。",
                ) from None
        if expanded > MAX_FIELDS:
            raise ClientError(
                "QUERY_TOO_LARGE",
                f"查询包含的字段过多（展开片段后超过 {MAX_FIELDS} 个）。请拆分为多个查询。",
            )
        shape.check_merge_pairs(document)

    def get_results(self) -> dict[str, Any]:
        """Report the requested cost in the response ``extensions``."""
        if self.requested is None:
            return {}
        return {"cost": {"requested": self.requested, "maximum": self.max_cost}}


def _selected_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        operations = [o for o in operations if o.name and o.name.value == name]
    return operations[0] if len(operations) == 1 else None


def _named(gtype: Any) -> Any:
    while isinstance(gtype, GraphQLNonNull | GraphQLList):
        gtype = gtype.of_type
    return gtype


class _OverBudget(Exception):
    """The running cost passed the maximum (``total`` is where the count stopped)."""

    def __init__(self, total: int) -> None:
        super().__init__(total)
        self.total = total


class _Shape:
    """Linear checks of a document's shape, before any walk that expands fragments.

    :meth:`expanded_fields` visits each fragment once (memoised) and refuses cycles and excessive nesting;
    once it has bounded the expanded size, :meth:`check_merge_pairs` may expand fragments.
    """

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        #: fragment name → (fields once expanded, capped at MAX_FIELDS + 1; nesting below it)
        self.memo: dict[str, tuple[int, int]] = {}
        self.open: set[str] = set()

    def expanded_fields(self, document: DocumentNode) -> int:
        """Field selections of every definition once expanded (capped at ``MAX_FIELDS + 1``)."""
        total = 0
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
                fields, _ = self._selection_set(definition.selection_set, 0)
                total = min(total + fields, MAX_FIELDS + 1)
        return total

    def _selection_set(self, selection_set: SelectionSetNode | None, level: int) -> tuple[int, int]:
        """(fields, nesting) of a selection set entered at ``level``."""
        if selection_set is None:
            return 0, 0
        if level >= MAX_NESTING:
            raise _too_deep()
        fields = height = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                below, nested = self._selection_set(selection.selection_set, level + 1)
                fields += 1 + below
            elif isinstance(selection, InlineFragmentNode):
                fields_in, nested = self._selection_set(selection.selection_set, level + 1)
                fields += fields_in
            elif isinstance(selection, FragmentSpreadNode):
                fields_in, nested = self._fragment(selection.name.value, level + 1)
                fields += fields_in
            else:  # pragma: no cover - the three kinds above are all there are
                continue
            height = max(height, nested + 1)
            fields = min(fields, MAX_FIELDS + 1)
        return fields, height

    def _fragment(self, name: str, level: int) -> tuple[int, int]:
        known = self.memo.get(name)
        if known is None:
            fragment = self.fragments.get(name)
            if fragment is None:  # an unknown fragment: validation reports it
                return 0, 0
            if name in self.open:
                raise ClientError("FRAGMENT_CYCLE", f"片段 {name} 直接或间接展开了自身（片段循环），无法执行。")
            self.open.add(name)
            known = self._selection_set(fragment.selection_set, level)
            self.open.discard(name)
            self.memo[name] = known
        if level + known[1] > MAX_NESTING:
            raise _too_deep()
        return known

    def check_merge_pairs(self, document: DocumentNode) -> None:
        """Refuse documents whose duplicate selections would make validation compare too many pairs."""
        pairs = 0
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
                pairs = self._pairs([definition.selection_set], pairs)

    def _pairs(self, selection_sets: list[SelectionSetNode], pairs: int) -> int:
        groups: dict[str, list[FieldNode]] = {}
        seen: set[str] = set()  # validation collects each fragment once per selection set
        pending = list(selection_sets)
        while pending:
            for selection in pending.pop().selections:
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    groups.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    pending.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                    seen.add(selection.name.value)
                    fragment = self.fragments.get(selection.name.value)
                    if fragment is not None:
                        pending.append(fragment.selection_set)
        for nodes in groups.values():
            pairs += len(nodes) * (len(nodes) - 1) // 2
            if pairs > MAX_MERGE_PAIRS:
                raise ClientError(
                    "QUERY_TOO_COMPLEX",
                    f"查询中重复选择同一字段的次数过多（需比较的字段对超过 {MAX_MERGE_PAIRS}）。请去掉重复的字段。",
                )
            children = [n.selection_set for n in nodes if n.selection_set is not None]
            if children:
                pairs = self._pairs(children, pairs)
        return pairs


def _too_deep() -> ClientError:
    return ClientError("QUERY_TOO_DEEP", f"查询嵌套层级过深（片段与选择集展开后超过 {MAX_NESTING} 层）。")


class _Estimator:
    """The cost of one operation; each fragment's cost is computed once per parent type."""

    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict, max_cost: int
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.max_cost = max_cost
        self.memo: dict[tuple[str, str], int] = {}

    def _first(self, node: FieldNode) -> int:
        for arg in node.arguments or ():
            if arg.name.value not in ("first", "last"):
                continue
            value = arg.value
            if isinstance(value, IntValueNode):
                return _clamp(int(value.value))
            if isinstance(value, VariableNode):
                raw = self.variables.get(value.name.value)
                return _clamp(raw) if isinstance(raw, int) and not isinstance(raw, bool) else DEFAULT_PAGE
        return DEFAULT_PAGE

    def selection_cost(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        """The cost of a selection set; raises :class:`_OverBudget` as soon as it passes the maximum."""
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field_cost(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                cond = selection.type_condition
                target = self.schema.get_type(cond.name.value) if cond else parent
                total += self.selection_cost(selection.selection_set, target or parent)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment_cost(selection.name.value, parent)
            if total > self.max_cost:
                raise _OverBudget(total)
        return total

    def _fragment_cost(self, name: str, parent: Any) -> int:
        fragment = self.fragments.get(name)
        if fragment is None:
            return 0
        target = self.schema.get_type(fragment.type_condition.name.value) or parent
        key = (name, getattr(target, "name", ""))
        if key not in self.memo:
            self.memo[key] = self.selection_cost(fragment.selection_set, target)
        return self.memo[key]

    def _field_cost(self, node: FieldNode, parent: Any) -> int:
        field = _lookup(parent, node.name.value)
        if field is None:
            return 1
        child_type = _named(field.type)
        children = self.selection_cost(node.selection_set, child_type)
        if isinstance(child_type, GraphQLObjectType) and child_type.name.endswith("Connection"):
            cost = 1 + self._first(node) * children
            if cost > self.max_cost:
                raise _OverBudget(cost)
            return cost
        if isinstance(child_type, GraphQLInterfaceType) and node.name.value == "nodes":
            cost = 1 + self._ids(node) * children
            if cost > self.max_cost:
                raise _OverBudget(cost)
            return cost
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


class ParseLimits(SchemaExtension):
    """Parses with a token limit, and gives every document that does not parse a code and a Chinese message
    that keeps the parser's detail and location (``QUERY_TOO_LARGE`` over the token limit, ``QUERY_TOO_DEEP``
    nested past the parser's limit, ``GRAPHQL_PARSE_FAILED`` otherwise)."""

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens

    def on_operation(self) -> Iterator[None]:
        """Set the token limit; after a failed parse, replace the parser's errors by coded ones."""
        ctx = self.execution_context
        ctx.parse_options["max_tokens"] = self.max_tokens
        yield
        result = ctx.result
        if ctx.graphql_document is None and result is not None and result.errors:
            result.errors = [self._coded(e) if isinstance(e, GraphQLSyntaxError) else e for e in result.errors]
            ctx.pre_execution_errors = result.errors

    def _coded(self, error: GraphQLSyntaxError) -> GraphQLError:
        detail = error.message.removeprefix("Syntax Error: ")
        if detail.startswith("Document contains more than"):
            code, message = "QUERY_TOO_LARGE", f"查询文档过大（超过 {self.max_tokens} 个记号）。请拆分为多个查询。"
        elif detail.startswith("Document is nested too deeply"):
            code, message = "QUERY_TOO_DEEP", "查询文档嵌套层级过深，无法解析。"
        else:
            code, message = "GRAPHQL_PARSE_FAILED", f"查询文档有语法错误：{detail}"
        return GraphQLError(
            message, source=error.source, positions=error.positions, extensions={"code": code, "detail": detail}
        )


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
