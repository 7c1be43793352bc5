// Web-standard root of @bears/interpret. The interpretation API arrives with issue 13 (branch
// `interpret`); the cleaner (Node-only) is at @bears/interpret/node.
export type { DatasetRanking, DuplicateGroup, RankedItem } from './clean/ranking-source.js';
