export {
  trainTower3,
  TOWER_COUNT,
  TOWER_WIDTH,
  INFORMATIVE_FEATURE,
  type Tower3,
  type TrainTower3Options,
} from './tower3.js';
