/** The names draft/multiline puts on the wire (https://ircv3.net/specs/extensions/multiline). */
export const MULTILINE_BATCH = 'draft/multiline';
/** On a line of a multiline batch: join it to the previous one without a line break. */
export const CONCAT_TAG = 'draft/multiline-concat';
