"""The part of Linear's GraphQL schema the fake serves (linear/linear `packages/sdk/src/schema.graphql`).

Types and argument names are Linear's, trimmed to what result actions use, so a query that
names a field Linear does not have is refused by GraphQL validation here as it would be
there. Filters implement the comparators the connector sends (`eq`, `in`, `contains`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLSchema, build_schema

SDL = """
scalar DateTime
scalar TimelessDate
scalar JSON

type Query {
  viewer: User!
  teams(first: Int, after: String): TeamConnection!
  issue(id: String!): Issue!
  issues(filter: IssueFilter, first: Int, after: String, includeArchived: Boolean): IssueConnection!
  issueLabels(first: Int, after: String): IssueLabelConnection!
}

type Mutation {
  issueCreate(input: IssueCreateInput!): IssuePayload!
  commentCreate(input: CommentCreateInput!): CommentPayload!
}

type User { id: String! name: String! email: String! }
type Team { id: String! key: String! name: String! }
type Project { id: String! name: String! }
type IssueLabel { id: String! name: String! }
type PageInfo { hasNextPage: Boolean! endCursor: String }
type TeamConnection { nodes: [Team!]! pageInfo: PageInfo! }
type IssueLabelConnection { nodes: [IssueLabel!]! pageInfo: PageInfo! }
type IssueConnection { nodes: [Issue!]! pageInfo: PageInfo! }
type CommentConnection { nodes: [Comment!]! pageInfo: PageInfo! }

type Issue {
  id: String!
  identifier: String!
  number: Float!
  url: String!
  title: String!
  description: String
  priority: Float!
  estimate: Float
  dueDate: TimelessDate
  createdAt: DateTime!
  team: Team!
  project: Project
  labelIds: [String!]!
  comments(filter: CommentFilter, first: Int, after: String): CommentConnection!
}

type Comment { id: String! body: String! url: String! createdAt: DateTime! }
type IssuePayload { success: Boolean! lastSyncId: Float! issue: Issue }
type CommentPayload { success: Boolean! lastSyncId: Float! comment: Comment! }

input IssueCreateInput {
  id: String
  title: String
  description: String
  descriptionData: JSON
  assigneeId: String
  parentId: String
  priority: Int
  estimate: Int
  subscriberIds: [String!]
  labelIds: [String!]
  teamId: String!
  cycleId: String
  projectId: String
  projectMilestoneId: String
  stateId: String
  dueDate: TimelessDate
  templateId: String
}

input CommentCreateInput { id: String body: String bodyData: JSON issueId: String parentId: String }

input IDComparator { eq: ID neq: ID in: [ID!] nin: [ID!] }
input StringComparator { eq: String neq: String in: [String!] contains: String containsIgnoreCase: String notContains: String }
input NullableStringComparator {
  eq: String neq: String in: [String!] contains: String containsIgnoreCase: String notContains: String null: Boolean
}
input TeamFilter { id: IDComparator key: StringComparator }
input IssueFilter {
  id: IDComparator
  title: StringComparator
  description: NullableStringComparator
  team: TeamFilter
  and: [IssueFilter!]
  or: [IssueFilter!]
}
input CommentFilter { id: IDComparator body: StringComparator }
"""

SCHEMA: GraphQLSchema = build_schema(SDL)


def compare(value: Any, comparator: dict[str, Any]) -> bool:
    """Linear's comparators over one value; every one given must hold."""
    text = "" if value is None else str(value)
    checks: dict[str, Callable[[Any], bool]] = {
        "eq": lambda v: text == v,
        "neq": lambda v: text != v,
        "in": lambda v: text in v,
        "nin": lambda v: text not in v,
        "contains": lambda v: v in text,
        "containsIgnoreCase": lambda v: v.lower() in text.lower(),
        "notContains": lambda v: v not in text,
        "null": lambda v: (value is None) == v,
    }
    return all(checks[name](wanted) for name, wanted in comparator.items() if wanted is not None)


def issue_matches(issue: dict[str, Any], where: dict[str, Any] | None) -> bool:
    if not where:
        return True
    fields = {"id": issue["id"], "title": issue["title"], "description": issue["description"]}
    for name, comparator in where.items():
        if name == "and" and not all(issue_matches(issue, part) for part in comparator):
            return False
        if name == "or" and not any(issue_matches(issue, part) for part in comparator):
            return False
        if name == "team" and not all(compare(issue["team"][k], c) for k, c in comparator.items()):
            return False
        if name in fields and not compare(fields[name], comparator):
            return False
    return True
